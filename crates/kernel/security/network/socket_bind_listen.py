# technique: bind a listening socket
# expected: lint, runtime, os
import socket
s = socket.socket()
s.bind(('0.0.0.0', 0))
s.listen()
print('ESCAPED', s.getsockname())
