# technique: ignore SIGINT to dodge the time limit
# expected: lint, runtime
import signal
signal.signal(signal.SIGINT, signal.SIG_IGN)
print('ESCAPED')
