my_password := "super$ecret"
