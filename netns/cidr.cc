// placeholder, replaced by the netns helper
