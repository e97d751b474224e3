"""Call-audio recordings matched to incidents by call position and time."""
