# technique: UDP datagram to the listener port
# expected: lint, runtime, os
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b'x', ('127.0.0.1', {PORT}))
print('ESCAPED')
