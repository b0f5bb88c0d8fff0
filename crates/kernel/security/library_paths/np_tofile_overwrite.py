# technique: ndarray.tofile over the canary
# expected: runtime, os
np.frombuffer(b'pwned', dtype=np.uint8).tofile('{CANARY}')
