// OpenSSL 3 through its EVP interfaces only: deprecated low-level APIs are hidden on purpose.
#ifndef SNOWPIPED_COPENSSL_SHIM_H
#define SNOWPIPED_COPENSSL_SHIM_H

#define OPENSSL_API_COMPAT 30000
#define OPENSSL_NO_DEPRECATED 1

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>

/// Passphrase callback that never prompts: OpenSSL would otherwise read the TTY for encrypted keys.
/// `u` points to a NUL-terminated passphrase, or is NULL when none was given.
static inline int snowpiped_pem_password_cb(char *buf, int size, int rwflag, void *u) {
    (void)rwflag;
    if (u == NULL) return -1;
    const char *pass = (const char *)u;
    int len = 0;
    while (pass[len] != '\0' && len < size) len++;
    if (len >= size) return -1;
    for (int i = 0; i < len; i++) buf[i] = pass[i];
    return len;
}

/// `BIO_get_mem_data` is a macro; this is the same call as a function.
static inline long snowpiped_bio_mem_data(BIO *bio, char **out) {
    return BIO_get_mem_data(bio, out);
}

/// `OPENSSL_free` is a macro; this is the same call as a function.
static inline void snowpiped_openssl_free(void *ptr) {
    OPENSSL_free(ptr);
}

#endif
