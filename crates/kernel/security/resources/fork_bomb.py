# technique: os.fork in a loop
# expected: lint, runtime, os (RLIMIT_NPROC)
import os
while True:
    os.fork()
