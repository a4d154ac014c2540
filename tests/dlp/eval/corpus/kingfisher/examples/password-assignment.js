const weakPasswordPattern = 'password123';
