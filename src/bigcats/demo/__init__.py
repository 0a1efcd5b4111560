"""`bigcats demo`: a realistic simulated transboundary survey, run through the whole system."""
