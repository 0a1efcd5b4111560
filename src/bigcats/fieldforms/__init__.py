"""Field forms: XLSForm definitions bigcats writes (camera-station visit, winter track census, incidental sign) and
the reader of their submissions as ODK Central / KoboToolbox export them."""
