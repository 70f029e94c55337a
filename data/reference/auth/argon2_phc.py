"""Reference argon2id PHC string for comeback-server's password tests.

Independent implementation: argon2-cffi (bindings to the Password Hashing Competition's
reference C code), `python3 -m pip install --user argon2-cffi`. Prints the PHC string of
the test password with a fixed salt and the cheap test costs (m = 64 KiB, t = 1, p = 1),
and checks it with argon2-cffi's own verifier.
"""

import argon2
from argon2.low_level import Type, hash_secret

PASSWORD = b"correct horse battery staple"
SALT = b"comeback-salt-01"  # 16 bytes

phc = hash_secret(
    PASSWORD, SALT, time_cost=1, memory_cost=64, parallelism=1, hash_len=32, type=Type.ID
).decode()
assert argon2.PasswordHasher().verify(phc, PASSWORD)
print(phc)
