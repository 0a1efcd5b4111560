"""The base layer every capability stands on: survey frames, periods, time, hashing, packaged data.

Nothing here imports another bigcats package except `bigcats.errors`, so every arrow points down to it.
"""
