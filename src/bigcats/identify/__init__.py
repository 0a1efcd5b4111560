"""bigcats.identify: individual identification from coat patterns.

coats (synthetic camera-trap photos), features (RootSIFT + quality gate), index (FAISS catalogue),
match (LNBNN + RANSAC), evaluate, wildbook (encounter exports), reconcile (cross-border), batch (Dask).
"""
