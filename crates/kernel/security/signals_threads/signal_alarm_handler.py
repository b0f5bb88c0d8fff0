# technique: install a SIGALRM handler that reads the canary
# expected: lint, runtime
import signal
signal.signal(signal.SIGALRM, lambda *a: print('ESCAPED', open('{CANARY}').read()))
signal.alarm(1)
