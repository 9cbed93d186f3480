// The digests and OpenSSL's error queue are part of the key module's interface (fingerprints are SHA-256).
@_exported import OpenSSLSupport
