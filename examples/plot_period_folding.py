"""
Find periods and fold light curves
==================================

:class:`~skastro.PeriodFolder` searches each light curve for its period
(generalised Lomb-Scargle), fits a robust Fourier series and folds it at
P and 2P, the first step of the RR Lyrae classifier of Dékány & Grebel (2020).
Here on 60 simulated VVV-like light curves (Ks band).
"""

import matplotlib.pyplot as plt
import numpy as np

from skastro import PeriodFolder
from skastro.datasets import make_periodic_variables

lcs = make_periodic_variables(60, random_state=0)
print(lcs)

# %%
# Fold every light curve. The simulator's true period moves to
# ``period_input``; the found one is ``period``.
folded = PeriodFolder(random_state=0).fit_transform(lcs)
meta = folded.meta
print(meta[["label", "period_input", "period", "amplitude", "snr"]].head())

# %%
# Found against true period: pulsating stars sit on the 1:1 line, most
# eclipsing binaries (EC, ESD) at half their period, since their two eclipses
# look alike (hence the fold at 2P); the few points elsewhere are misses.
fig, ax = plt.subplots(figsize=(5, 4.5), layout="constrained")
for label, group in meta.groupby("label"):
    ax.scatter(group["period_input"], group["period"], s=18, label=label)
grid = np.array([0.1, 1.2 * meta["period_input"].max()])
ax.plot(grid, grid, "k-", lw=0.8, label="P found = P true")
ax.plot(grid, grid / 2, "k:", lw=0.8, label="P found = P true / 2")
ax.set(xscale="log", yscale="log", xlabel="true period [d]", ylabel="found period [d]")
ax.legend(fontsize=8)

# %%
# Three folded RR Lyrae (type ab): magnitude about the mean against phase,
# drawn twice so the cycle reads continuously; points flagged as outliers by
# the robust fit are left out.
rrab = np.flatnonzero(meta["label"].to_numpy() == "RRab")[:3]
fig, axes = plt.subplots(1, 3, figsize=(10, 3), sharey=True, layout="constrained")
for ax, i in zip(axes, rrab):
    lc = folded[int(i)]
    keep = ~lc.column("outlier")
    phase, mag = lc.column("phase")[keep], lc.column("value_centered")[keep]
    ax.scatter(np.r_[phase, phase + 1], np.r_[mag, mag], s=4, color="k")
    ax.set(title=f"P = {lc.meta['period'].iloc[0]:.4f} d", xlabel="phase")
axes[0].set_ylabel(r"$K_s - \langle K_s \rangle$ [mag]")
axes[0].invert_yaxis()
plt.show()
