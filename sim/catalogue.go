package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Category is a kind of goods with what it costs.
type Category struct {
	Name    string
	weight  float64 // how common among orders
	min     int64   // yen
	max     int64   // yen
	digital bool    // delivered by e-mail
	items   []string
}

// Category names.
const (
	CatGrocery     = "grocery"
	CatBooks       = "books"
	CatEbooks      = "ebooks"
	CatFashion     = "fashion"
	CatElectronics = "electronics"
	CatHome        = "home"
	CatBeauty      = "beauty"
	CatGiftCards   = "gift_cards"
)

var categories = []Category{
	{CatGrocery, 0.28, 800, 6000, false, []string{"Rice 5kg", "Green tea 100g", "Coffee beans 500g", "Mineral water 2L x 6", "Miso set", "Snack box", "Curry roux x 4", "Olive oil 1L"}},
	{CatBooks, 0.16, 600, 4000, false, []string{"Paperback novel", "Manga vol. 12", "Cookbook", "Travel guide", "Business book", "Picture book"}},
	{CatEbooks, 0.06, 400, 2000, true, []string{"eBook: novel", "eBook: manga set", "Audiobook"}},
	{CatFashion, 0.13, 3000, 20000, false, []string{"Knit sweater", "Sneakers", "Down jacket", "Scarf", "Leather belt", "Umbrella"}},
	{CatElectronics, 0.11, 2000, 150000, false, []string{"USB-C cable", "Wireless earbuds", "Mobile battery", "Smartwatch", "Tablet", "Laptop", "Game console", "Camera lens"}},
	{CatHome, 0.12, 1000, 12000, false, []string{"Frying pan", "Towel set", "Storage box", "Desk lamp", "Humidifier filter", "Kitchen knife"}},
	{CatBeauty, 0.08, 800, 6000, false, []string{"Hand cream", "Sunscreen", "Shampoo refill", "Face mask x 30", "Lip balm"}},
	{CatGiftCards, 0.03, 1000, 10000, true, nil},
}

// giftAmounts are the round values of the store's e-gift cards.
var giftAmounts = []int64{1000, 3000, 3000, 5000, 5000, 5000, 10000, 10000}

// orderSpec is an order about to be placed.
type orderSpec struct {
	items     []item
	card      string // method id
	cardType  string
	ship      string // address id, for goods shipped
	recipient string // e-mail, for digital goods
}

type item struct {
	sku, name, category string
	price               int64
	qty                 int64
	gift, digital       bool
}

func (o *orderSpec) amount() int64 {
	var a int64
	for _, it := range o.items {
		a += it.price * it.qty
	}
	return a
}

func (o *orderSpec) giftCard() bool {
	for _, it := range o.items {
		if it.gift {
			return true
		}
	}
	return false
}

func (o *orderSpec) category() string {
	if len(o.items) == 0 {
		return ""
	}
	return o.items[0].category
}

// goods returns one to three items of a category whose total is in the
// category's usual range.
func goods(r *rand.Rand, cat *Category) []item {
	n := 1
	if cat.Name == CatGrocery || cat.Name == CatBeauty {
		n += r.IntN(3)
	}
	total := price(r, cat.min, cat.max, cat.Name == CatElectronics)
	out := make([]item, 0, n)
	left := total
	for i := range n {
		p := left
		if i < n-1 {
			p = left / int64(n-i) * int64(70+r.IntN(60)) / 100
		}
		p = max(roundPrice(p), 100)
		left -= p
		out = append(out, item{
			sku: fmt.Sprintf("sku-%s-%03d", cat.Name[:3], r.IntN(400)), name: pick(r, cat.items), category: cat.Name,
			price: p, qty: 1, digital: cat.digital,
		})
		if left < 100 {
			break
		}
	}
	return out
}

// giftCard is one e-gift card of a round amount.
func giftCardItem(amount int64) item {
	return item{
		sku: fmt.Sprintf("gc-%d", amount), name: fmt.Sprintf("eGift card ¥%s", yen(amount)), category: CatGiftCards,
		price: amount, qty: 1, gift: true, digital: true,
	}
}

// price draws a price between lo and hi, log-uniform; heavy makes high
// prices rarer still (electronics: mostly cables, some laptops).
func price(r *rand.Rand, lo, hi int64, heavy bool) int64 {
	u := r.Float64()
	if heavy {
		u = u * u
	}
	return int64(math.Exp(math.Log(float64(lo)) + u*(math.Log(float64(hi))-math.Log(float64(lo)))))
}

// roundPrice makes a price look like a shop's: 1,980, 2,500, 12,800.
func roundPrice(p int64) int64 {
	switch {
	case p < 1000:
		return p / 10 * 10
	case p < 10000:
		if p%1000 > 500 {
			return p/1000*1000 + 980
		}
		return p / 100 * 100
	default:
		return p/1000*1000 + 800
	}
}

func pickWeighted(r *rand.Rand, ws []float64) int {
	var total float64
	for _, w := range ws {
		total += w
	}
	x := r.Float64() * total
	for i, w := range ws {
		if x < w {
			return i
		}
		x -= w
	}
	return len(ws) - 1
}
