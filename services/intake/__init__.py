"""intake: the 24/7 helpline and every first contact."""
