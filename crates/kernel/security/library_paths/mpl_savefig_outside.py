# technique: plt.savefig outside scratch
# expected: runtime, os
fig, ax = plt.subplots()
ax.plot([1, 2])
plt.savefig('{CANARY_DIR}/plot.png')
