#!/usr/bin/env bash
# Builds snowpiped_<version>_amd64.deb: a release build with the Swift runtime linked statically (the package
# depends only on Debian libraries), the systemd unit, sysusers and tmpfiles entries, the example
# configuration as a conffile, and debhelper's maintainer-script snippets. Then lintian must be clean.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=$(sed -n 's/.*static let version = "\(.*\)".*/\1/p' Sources/snowpiped/Snowpiped.swift)-1
OUT=${1:-.build-deb}
swift build -c release --static-swift-stdlib --scratch-path .build-release --product snowpiped
BIN=$(swift build -c release --static-swift-stdlib --scratch-path .build-release --show-bin-path)/snowpiped
PKG=$OUT/pkg
rm -rf "$PKG"
install -d "$PKG/DEBIAN" "$PKG/usr/bin" "$PKG/usr/lib/systemd/system" "$PKG/usr/lib/sysusers.d" \
    "$PKG/usr/lib/tmpfiles.d" "$PKG/etc/snowpiped" "$PKG/usr/share/doc/snowpiped" "$PKG/usr/share/lintian/overrides" \
    "$PKG/usr/share/man/man8" "$PKG/usr/share/man/man5" "$PKG/usr/share/bash-completion/completions" \
    "$PKG/usr/share/zsh/vendor-completions" "$PKG/usr/share/fish/vendor_completions.d"
install -m 0755 "$BIN" "$PKG/usr/bin/snowpiped"
strip --strip-unneeded --remove-section=.comment "$PKG/usr/bin/snowpiped"
# Manual pages: snowpiped(8) from the argument parser (its generate-manual tool reads the binary's help), and
# snowpiped.yaml(5) from the documented example configuration. Shell completions from the argument parser.
swift build --scratch-path .build-release --product generate-manual >/dev/null
MAN=$OUT/man
rm -rf "$MAN" && mkdir -p "$MAN"
"$(swift build --scratch-path .build-release --show-bin-path)/generate-manual" "$PKG/usr/bin/snowpiped" \
    --section 8 --authors "the snowpiped developers" --output-directory "$MAN"
python3 packaging/man/config-manpage.py config/snowpiped.example.yaml "$VERSION" >"$MAN/snowpiped.yaml.5"
gzip -9n <"$MAN/snowpiped.8" >"$PKG/usr/share/man/man8/snowpiped.8.gz"
gzip -9n <"$MAN/snowpiped.yaml.5" >"$PKG/usr/share/man/man5/snowpiped.yaml.5.gz"
# bash-completion sources the file: no #! line (lintian's bash-completion-with-hashbang).
"$PKG/usr/bin/snowpiped" --generate-completion-script bash | sed '1{/^#!/d}' \
    >"$PKG/usr/share/bash-completion/completions/snowpiped"
"$PKG/usr/bin/snowpiped" --generate-completion-script zsh >"$PKG/usr/share/zsh/vendor-completions/_snowpiped"
"$PKG/usr/bin/snowpiped" --generate-completion-script fish >"$PKG/usr/share/fish/vendor_completions.d/snowpiped.fish"
chmod 0644 "$PKG"/usr/share/bash-completion/completions/* "$PKG"/usr/share/zsh/vendor-completions/* \
    "$PKG"/usr/share/fish/vendor_completions.d/*
install -m 0644 systemd/snowpiped.service "$PKG/usr/lib/systemd/system/snowpiped.service"
install -m 0644 systemd/snowpiped.sysusers "$PKG/usr/lib/sysusers.d/snowpiped.conf"
install -m 0644 systemd/snowpiped.tmpfiles "$PKG/usr/lib/tmpfiles.d/snowpiped.conf"
install -m 0644 config/snowpiped.example.yaml "$PKG/etc/snowpiped/snowpiped.yaml"
install -m 0644 README.md packaging/debian/copyright "$PKG/usr/share/doc/snowpiped/"
sed "s/@VERSION@/$VERSION/" packaging/debian/changelog | gzip -9n >"$PKG/usr/share/doc/snowpiped/changelog.Debian.gz"
install -m 0644 packaging/debian/lintian-overrides "$PKG/usr/share/lintian/overrides/snowpiped"
for script in postinst prerm postrm; do install -m 0755 "packaging/debian/$script" "$PKG/DEBIAN/$script"; done
echo /etc/snowpiped/snowpiped.yaml >"$PKG/DEBIAN/conffiles"
SIZE=$(du -sk --exclude=DEBIAN "$PKG" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@SIZE@/$SIZE/" packaging/debian/control.in >"$PKG/DEBIAN/control"
(cd "$PKG" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum >DEBIAN/md5sums)
DEB=$OUT/snowpiped_${VERSION}_amd64.deb
dpkg-deb --root-owner-group -Zxz --build "$PKG" "$DEB" >/dev/null
echo "built $DEB ($(du -h "$DEB" | cut -f1))"
echo "ldd: $(ldd "$PKG/usr/bin/snowpiped" | awk '{print $1}' | tr '\n' ' ')"
lintian --tag-display-limit 0 --fail-on error,warning "$DEB" 2>&1 | grep -v "running with root privileges" || true
lintian --tag-display-limit 0 --fail-on error,warning "$DEB" >/dev/null 2>&1 || {
    echo "lintian reports errors or warnings"
    exit 1
}
echo "lintian: no errors or warnings"
