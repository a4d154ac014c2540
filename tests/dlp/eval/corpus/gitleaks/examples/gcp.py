gcpToken = 'AIzaz7ZekKyF73upgvodsXKBxZfN9oIi2iwad5x'
GCP_API_KEY = "AIzaSyNHxIf32IQ1a1yjl3ZJIqKZqzLAK1XhDk-"
