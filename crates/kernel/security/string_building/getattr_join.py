# technique: attribute name built with join
# expected: lint, runtime, os
import os
fn = getattr(os, ''.join(['sy', 'st', 'em']))
fn('touch {CANARY_DIR}/joined')
