# technique: subprocess reads the host env through /proc
# expected: lint, runtime, os
import subprocess
print('ESCAPED', subprocess.check_output(['cat', '/proc/{HOST_PID}/environ']))
