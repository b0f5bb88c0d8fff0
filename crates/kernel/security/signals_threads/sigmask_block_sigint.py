# technique: block SIGINT with pthread_sigmask, then spin so the host cannot interrupt
# expected: lint, runtime (signal guard), host (SIGKILL after the grace period)
import signal
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
while True:
    pass
