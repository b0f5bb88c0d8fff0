# technique: stderr flood
# expected: host (bounded capture)
import sys
for _ in range(256):
    sys.stderr.write('e' * (1 << 20))
