"""Camera health from the photos themselves: clock faults, silent cameras, false triggers, broken infrared."""
