"""
Score transients among variable stars
=====================================

:class:`~skastro.DmDtNoveltyDetector` (Soraisam et al. 2020) learns how much
persistent variables change in magnitude (dm) over each time lag (dt), per
band, and scores a new light curve by how unlikely its own (dm, dt) pairs are.
Here it is fitted on simulated variable stars and AGN and scores a mix of new
variables and 20 simulated transients.
"""

import matplotlib.pyplot as plt
import numpy as np

from skastro import DmDtNoveltyDetector
from skastro.datasets import make_transients

train = make_transients(n_variables=300, n_transients=0, random_state=0)
test = make_transients(n_variables=200, n_transients=20, id_prefix="new", random_state=1)
detector = DmDtNoveltyDetector(bands=list("ugriz")).fit(train)

# %%
# What the detector learned: p(dm | dt) of the variables in each band (top
# row) and for each pair of bands (dm between bands a and b; the other rows).
fig = detector.plot_distributions()

# %%
# Scores of the new objects: lower is more novel. The transients (orange)
# gather at the low end; the line is the threshold that flags 2 % of the
# training set (``contamination=0.02``).
scores = detector.score_samples(test)
is_transient = test.meta["is_transient"].to_numpy()
fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
bins = np.linspace(scores.min(), scores.max(), 40)
ax.hist(scores[~is_transient], bins=bins, label="variables")
ax.hist(scores[is_transient], bins=bins, label="transients")
ax.axvline(detector.offset_, color="k", ls="--", label="threshold")
ax.set(xlabel="novelty score (lower: more novel)", ylabel="objects")
ax.legend()
flagged = detector.predict(test) == -1
print(f"flagged {flagged.sum()} of {len(test)}: {flagged[is_transient].sum()} of "
      f"{is_transient.sum()} transients, {flagged[~is_transient].sum()} variables")
plt.show()
