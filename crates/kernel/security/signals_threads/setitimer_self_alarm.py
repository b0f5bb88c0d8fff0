# technique: signal.setitimer delivers SIGALRM (no handler may be installed, so it can only end the session itself)
# expected: contained (the host resumes from the snapshot); nothing outside changes
import signal
signal.setitimer(signal.ITIMER_REAL, 0.05)
import time
time.sleep(1)
