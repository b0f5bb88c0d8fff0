# technique: socket.getaddrinfo (DNS exfiltration)
# expected: lint, runtime, os
import socket
print('ESCAPED', socket.getaddrinfo('localhost', {PORT}))
