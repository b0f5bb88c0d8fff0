# technique: a background thread acts after the cell returns
# expected: lint, runtime, os
import threading, time
def later():
    time.sleep(0.2)
    open('{CANARY_DIR}/late.txt', 'w').write('x')
threading.Thread(target=later, daemon=True).start()
