"""The alternative a Python user would write: watchdog for discovery and the official snowflake-ingest SDK's
`ingest_files` in batches of up to 5000, sent when a batch is full or `linger` after its first file.

usage: python_baseline.py DIR STAGE_PREFIX PIPE KEY_FILE PORT
Prints "ready" once the observer runs, then one JSON line per accepted insertFiles call:
{"t": <unix seconds after the call returned>, "files": <files in the call>}. Stops on SIGTERM.
"""
import queue
import signal
import sys
import threading
import time

from snowflake.ingest.simple_ingest_manager import SimpleIngestManager, StagedFile
from watchdog.events import FileSystemEventHandler
from watchdog.observers import Observer

directory, prefix, pipe, key_file, port = sys.argv[1:6]
LINGER_SECONDS = 0.2
MAX_FILES = 5000

arrived: "queue.Queue[str]" = queue.Queue()


class Handler(FileSystemEventHandler):
    """Queues files that were closed after writing or moved in (complete files only)."""

    def on_closed(self, event):
        if not event.is_directory:
            arrived.put(event.src_path)

    def on_moved(self, event):
        if not event.is_directory:
            arrived.put(event.dest_path)


manager = SimpleIngestManager(account="bench-account", user="bench_user", pipe=pipe,
                              private_key=open(key_file).read(), scheme="http", host="127.0.0.1", port=int(port))
stopping = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stopping.set())
observer = Observer()
observer.schedule(Handler(), directory, recursive=False)
observer.start()
print("ready", flush=True)

while not stopping.is_set():
    try:
        first = arrived.get(timeout=0.2)
    except queue.Empty:
        continue
    batch = [first]
    deadline = time.monotonic() + LINGER_SECONDS
    while len(batch) < MAX_FILES:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            batch.append(arrived.get(timeout=left))
        except queue.Empty:
            break
    staged = [StagedFile(prefix + path[len(directory) + 1:], None) for path in batch]
    while True:
        try:
            manager.ingest_files(staged)
            break
        except Exception as error:  # what a simple loader does: report, wait, try again
            print(f"insertFiles failed: {error}", file=sys.stderr, flush=True)
            time.sleep(1)
    print(f'{{"t": {time.time():.6f}, "files": {len(batch)}}}', flush=True)
observer.stop()
observer.join()
