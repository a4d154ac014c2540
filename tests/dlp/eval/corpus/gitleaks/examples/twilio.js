var twilioToken = "SKcdbaa499bda9fb6de8fccfdfab2f82ce"
