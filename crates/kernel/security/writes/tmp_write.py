# technique: write to /tmp
# expected: runtime, os
open('/tmp/spatialclaw-corpus-escape-{HOST_PID}.txt', 'w').write('x')
