"""Events: persistence of opened/closed actions and their live feed."""
