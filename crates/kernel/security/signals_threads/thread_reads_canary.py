# technique: a thread reads the canary
# expected: lint, runtime, os
import threading
t = threading.Thread(target=lambda: print('ESCAPED', open('{CANARY}').read()))
t.start()
t.join()
