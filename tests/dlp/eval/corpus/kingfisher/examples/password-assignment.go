	weakPasswordPattern := "qwerty456"
