# technique: symlink in scratch pointing at the canary, then savefig through it
# expected: runtime, os
import os
os.symlink('{CANARY}', 'link.png')
plt.plot([1])
plt.savefig('link.png')
