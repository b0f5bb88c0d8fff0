# technique: atexit registration to run later
# expected: lint, runtime
import atexit
atexit.register(lambda: open('{CANARY_DIR}/atexit.txt', 'w').write('x'))
print('registered')
