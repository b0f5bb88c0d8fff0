# technique: AF_UNIX socket to a path outside scratch
# expected: lint, runtime, os
import socket
s = socket.socket(socket.AF_UNIX)
s.bind('{CANARY_DIR}/sock')
print('ESCAPED')
