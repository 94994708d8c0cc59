"""The coach's behaviour, pure: no sound, files, threads or clocks; time is passed in."""
