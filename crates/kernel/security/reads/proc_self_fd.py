# technique: reuse an inherited descriptor found through /proc/self/fd to reach a host file
# expected: runtime, os
import os
for fd in os.listdir('/proc/self/fd'):
    try:
        target = os.readlink('/proc/self/fd/' + fd)
    except OSError:
        continue
    if target.startswith('{CANARY_DIR}'):
        print('ESCAPED', os.read(int(fd), 100))
