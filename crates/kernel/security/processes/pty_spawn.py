# technique: pty.spawn
# expected: lint, runtime
import pty
pty.spawn(['touch', '{CANARY_DIR}/pty'])
