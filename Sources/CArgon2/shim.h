// The system libargon2 (Debian: libargon2-dev), for argon2id password hashing in katad.
#include <argon2.h>
