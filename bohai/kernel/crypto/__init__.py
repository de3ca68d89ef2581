"""National cryptography (国密) for the platform: SM3 digests, SM4 field encryption, SM2 keys.

Not a Django app: plain functions over keys that settings provide.
"""
