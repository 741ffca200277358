// placeholder until the origin tests land
