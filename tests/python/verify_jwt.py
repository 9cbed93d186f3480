"""Independent check of a JWT made by snowpiped: verified with PyJWT + cryptography against the public key,
and its iss/sub compared with what the official Python SDK (snowflake-ingest) makes for the same key.

Usage: verify_jwt.py TOKEN_FILE PRIVATE_KEY_PEM ACCOUNT USER [PASSPHRASE_FILE]
Prints "OK" and exits 0, or prints what differs and exits 1. Never prints the token or the key."""
import sys

import jwt
from cryptography.hazmat.primitives import serialization
from snowflake.ingest.utils.tokentools import SecurityManager

token_file, key_file, account, user = sys.argv[1:5]
passphrase = open(sys.argv[5], "rb").read().rstrip(b"\n") if len(sys.argv) > 5 else None
token = open(token_file).read().strip()
private_key = serialization.load_pem_private_key(open(key_file, "rb").read(), password=passphrase)
public_key = private_key.public_key()

claims = jwt.decode(token, public_key, algorithms=["RS256"], options={"verify_aud": False})
header = jwt.get_unverified_header(token)

# The SDK only reads unencrypted PEM: hand it the same key re-encoded without a passphrase.
plain_pem = private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()).decode()
sdk_token = SecurityManager(account, user, plain_pem).get_token()
sdk_claims = jwt.decode(sdk_token, options={"verify_signature": False})

problems = []
if header.get("alg") != "RS256":
    problems.append(f"alg is {header.get('alg')}")
for claim in ("iss", "sub"):
    if claims.get(claim) != sdk_claims.get(claim):
        problems.append(f"{claim}: ours {claims.get(claim)!r}, SDK {sdk_claims.get(claim)!r}")
if claims["exp"] - claims["iat"] != sdk_claims["exp"] - sdk_claims["iat"]:
    problems.append(f"lifetime: ours {claims['exp'] - claims['iat']}, SDK {sdk_claims['exp'] - sdk_claims['iat']}")
if problems:
    print("\n".join(problems))
    sys.exit(1)
print("OK")
