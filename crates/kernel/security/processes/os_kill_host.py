# technique: os.kill the host process
# expected: lint, runtime, os (landlock scope)
import os
os.kill({HOST_PID}, 0)
print('ESCAPED')
