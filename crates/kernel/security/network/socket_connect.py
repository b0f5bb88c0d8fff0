# technique: socket.create_connection to a local listener
# expected: lint, runtime, os (netns)
import socket
socket.create_connection(('127.0.0.1', {PORT}), timeout=2)
print('ESCAPED')
