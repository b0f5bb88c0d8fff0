# technique: host secret in os.environ
# expected: host (clean environment)
import os
print(os.environ.get('{SECRET_NAME}', 'absent'))
