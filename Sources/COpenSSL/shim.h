// OpenSSL 3 marks the one-shot-context SHA-256 calls deprecated in favour of EVP; they stay
// supported, run the same (SHA-NI) code, and their context is a plain struct a Swift value can hold.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
