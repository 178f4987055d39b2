"""The directories (一单两库): regions, categories, departments, enterprises and their products,
testing agencies and inspectors."""
