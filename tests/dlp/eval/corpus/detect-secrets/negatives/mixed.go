	discord := "MZ1yGvKTjE0rY0cV8i47CjAa.uRHQPq.Xb1Mk2nEhe-4iUcrGOuegj57zM"
	discord := "MZ1yGvKTjE0rY0cV8i47CjAa.uRHQPq.Xb1Mk2nEhe,4iUcrGOuegj57zMC"
	discord := "PZ1yGvKTjE0rY0cV8i47CjAa.uRHQPq.Xb1Mk2nEhe-4iUcrGOuegj57zMC"
ibm_iam_key:= "abcd1234abcd1234abcd1234ABCD1234ABCD1234--__extra"
	ibmCosHmac := "secret_access_key=1234567890abcdef1234567890abcdef1234567890abcdefextra"
	jwt := "eyJBB.eyJCC.eyJDDDD"
secret := ''
password := "somefakekey"
